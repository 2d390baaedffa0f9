"""Certificates people see, print and check: the certificate page, the PDF, QR codes and the /verify page."""
