"""The Pipecat services of the offline speech stack (Moonshine and PocketSphinx STT, hibari TTS),
thin layers over the framework-free engine in the `speech` package.
"""
