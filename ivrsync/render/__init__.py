"""Pure renderers: values in, strings out. Nothing here prints or reads files."""
