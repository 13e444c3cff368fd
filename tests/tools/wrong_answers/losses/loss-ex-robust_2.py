# Wrong: a tiny threshold: robust, but every gradient is capped at 0.01 and 300 steps barely move.
HUBER_DELTA = 0.01
