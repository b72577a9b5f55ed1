"""Platform spiders: WordPress, feeds and sitemaps; a publication on them is a registry entry."""
