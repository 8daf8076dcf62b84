"""Teams app package source: manifest template, icons and the package builder."""
