"""InfluxDB 2.x write-API emulator for tsarchive's tests."""
