"""Figures a paper can use. Every function takes ``ax=None`` and returns the Axes it drew on.

matplotlib is imported on first use; nothing here sets rcParams or calls ``plt.show()``.
One module per analysis family: ``groups`` (Figures 1, 4, 5, forest), ``mediation`` (path
diagram, bootstrap distribution, sensitivity), ``bayes`` and ``classify``.
"""
