"""The DSD stage: translation schemes, domain-level systems and reaction enumeration."""
