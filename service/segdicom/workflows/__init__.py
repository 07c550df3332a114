"""Use cases that span layers (store + imaging + seg + db), called by the API."""
