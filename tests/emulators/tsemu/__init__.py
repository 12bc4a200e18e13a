"""Amazon Timestream (LiveAnalytics) Query + Write emulator for tsarchive's tests."""
