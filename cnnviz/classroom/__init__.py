"""Class sessions: a teacher's view that students follow (the store and its limits; the UI is cnnviz/ui/classroom.py)."""
