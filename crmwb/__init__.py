"""crmwb: a CRM analytics workbench for JupyterLab.

The package holds the logic behind the notebooks in ``notebooks/``: reading and
validating the canonical tables (:mod:`crmwb.schema`, :mod:`crmwb.io`), the
Ibis/DuckDB engine boundary (:mod:`crmwb.engine`), a synthetic data generator
with planted truth (:mod:`crmwb.datasets`), the papermill batch runner
(:mod:`crmwb.report`) and the glossary of report labels (:mod:`crmwb.glossary`).
"""

__version__ = "0.2.0"
