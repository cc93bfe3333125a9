/* Fixture: a shared library that forgot to export the entry symbol. */
int fx_no_entry_something(void) { return 42; }
