"""The fault catalogue: one `FAULTS.register(Fault(...))` per way of breaking the contract."""
