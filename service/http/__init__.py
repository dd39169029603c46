"""What the pages and the JSON API share at the HTTP level: request guards, response headers."""
