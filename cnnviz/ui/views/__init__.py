"""One module per page (or per section pages share): what that page draws. What every page uses is one level up, in cnnviz/ui/."""
