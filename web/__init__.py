"""The pages (HTML, JS, CSS) the app serves itself."""
