"""Exports to S3: a sensor's data over a time range as CSV (gzip), and the daily blink archive."""
