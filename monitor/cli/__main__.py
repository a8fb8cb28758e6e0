"""`python -m monitor.cli`: the same command line as `genai-monitor`."""

from monitor.cli import main

main()
