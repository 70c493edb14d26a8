"""Channel glue: Twilio Media Streams and SmallWebRTC."""
