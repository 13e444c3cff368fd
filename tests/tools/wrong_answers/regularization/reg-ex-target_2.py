# Wrong: the chapter's dropout rate alone is not enough here (about 0.54).
REGULARIZE = {"l2": 0.0, "p": 0.3}
