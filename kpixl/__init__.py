"""kpixl."""
