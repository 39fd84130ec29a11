"""What the quick benchmark (``quickbench``), the scale benchmark (``scale``) and the page walk
(``pagewalk``) share: starting the production server (``server``) and percentiles (``stats``).
"""
