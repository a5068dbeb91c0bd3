"""Every record on the chain: which tables are chained (`tables`), how their writes are caught
and recorded in the event that made them (`capture`), and how `verify` rebuilds them from the log
and compares (`rebuild`)."""
