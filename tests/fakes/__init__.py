"""In-process fakes of the remote providers, each following its documented protocol field by field."""
