"""Chapter 4: the pure parts (markup, attribution, shortening) and the document the templates and DOCX share."""
