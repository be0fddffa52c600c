"""HTTP handlers of the fake ONTAP API, one module per resource family."""
