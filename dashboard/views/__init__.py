"""Each page's view model: the data preparation of ``dashboard/pages/<page>.py`` in ``views/<page>.py``."""
