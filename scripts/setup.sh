echo setup-placeholder
