"""Sync on plug-in: the watcher, the udev and folder events it listens to, desktop
notifications, and the installer of the udev rule and the user service."""
