"""The PACS: a Protocol (`Pacs`) and its DICOMweb and DIMSE implementations."""

from segdicom.pacs.protocol import OnInstance, Pacs, Received, StudyQuery

__all__ = ["OnInstance", "Pacs", "Received", "StudyQuery"]
