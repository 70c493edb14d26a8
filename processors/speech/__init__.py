"""Offline speech building blocks: hibari TTS, PocketSphinx LM building and streaming decoding.

Framework-free on purpose; the Pipecat STT/TTS services wrap these modules.
"""
