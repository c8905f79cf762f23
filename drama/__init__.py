"""drama: an AI short-drama studio. Screenplay → storyboard → voice → render → review → edit & export."""

__version__ = "0.1.0"
