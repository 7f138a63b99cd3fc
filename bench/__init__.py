"""`make bench`: synthetic history at scale through the real landing and load path, and what it costs."""
