"""The hostile-server suite (issue 10): see README.md for every case and where it is tested."""
