"""The use cases. Each public function is one transaction; web views and CLI
commands are thin callers of these."""
