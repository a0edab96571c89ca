"""Mappings from other CRMs: the model and its application, the saved mappings, the
shipped ones (maven, salesforce) and suggestions from headers and values."""
