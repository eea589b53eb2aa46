"""xlplugin: a government performance evaluation (政府绩效评估) cycle in Excel."""
__version__ = "0.1.0"
