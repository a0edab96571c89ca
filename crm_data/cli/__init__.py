"""The command line of SPEC §5; `python -m crm_data` only hands over to cli.main."""
