"""Printed evidence: an auditor's dossier as PDF, Excel and JSON, and a case's 审批表 as PDF.

The collection (`services.audit.dossier`) decides what a document holds; the modules here only lay
it out, so the three forms of a dossier always hold the same cases and rows.
"""
