// Lab stand-in for the YouTube player.
window.ytLabPlayer = { videoId: "lab0video" };
