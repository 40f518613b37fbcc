"""The BSS side: TM Forum shapes, catalog, customers, orders, outages, notices and credits."""
