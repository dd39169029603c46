"""Documents: .docx templates, deterministic rendering, PDF conversion, issuing and signatures."""
