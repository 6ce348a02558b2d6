"""A bench-only Django app (installed by bench/faults_settings.py only): a slow
side-effecting tool, so the faults bench can SIGKILL a worker in the middle of
a tool call."""
