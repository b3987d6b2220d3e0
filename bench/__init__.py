"""`make bench`: load tests and timings against a real gunicorn on PostgreSQL (see run.sh)."""
