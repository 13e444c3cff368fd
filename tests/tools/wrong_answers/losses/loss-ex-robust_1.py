# Wrong: a large threshold "to be safe": the Huber loss is then the squared error, pulled by the outliers.
HUBER_DELTA = 100.0
