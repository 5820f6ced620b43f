# (owned by its task; empty until then)
