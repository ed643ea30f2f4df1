"""Lambda handlers. Importing the package first fills numba's cache from the image (see numba_cache)."""
from functions.numba_cache import seed_from_environment

seed_from_environment()
