"""Developer scripts: the test runner, the screenshot, and the app server they share."""
