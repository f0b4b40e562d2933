"""The player: how podsync knows a device (registration, udev identity, mounts), what it
owns there (the manifest), what the user finished on it (played signals), and ejecting it."""
