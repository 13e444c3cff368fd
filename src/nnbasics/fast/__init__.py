"""Fast versions of the taught ops, for the appendix "Making it fast": each is tested equal to
the clear version its chapter shows."""
