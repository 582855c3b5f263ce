"""Command-line interface (placeholder replaced below)."""
def main():
    pass
